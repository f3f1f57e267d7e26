import { LUA_SCRIPTS } from '../lua/lua-scripts.js';
import { ASSERT_OWNER_LUA } from './ownership-fence.js';

describe('ASSERT_OWNER_LUA', () => {
  it('is the assert_owner function of the assert-owner fragment', () => {
    expect(ASSERT_OWNER_LUA).toMatch(/^local function assert_owner\(fence_key, lease_key, token\)/);
    expect(ASSERT_OWNER_LUA.trim().endsWith('end')).toBe(true);
  });

  it('is the check fenced-write.lua runs, verbatim', () => {
    expect(LUA_SCRIPTS.vqFencedWrite.lua).toContain(ASSERT_OWNER_LUA);
  });
});
