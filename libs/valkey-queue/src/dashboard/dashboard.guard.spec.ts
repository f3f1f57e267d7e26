import { basicUser, crossSiteReason, operatorOf } from './dashboard.guard.js';

const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;

describe('dashboard guard helpers', () => {
  it('accepts only the configured basic credentials', () => {
    expect(basicUser(basic('ops:pw'), 'ops', 'pw')).toBe('ops');
    expect(basicUser(basic('ops:pw:x'), 'ops', 'pw')).toBeUndefined();
    expect(basicUser(basic('ops:PW'), 'ops', 'pw')).toBeUndefined();
    expect(basicUser('Bearer abc', 'ops', 'pw')).toBeUndefined();
    expect(basicUser(undefined, 'ops', 'pw')).toBeUndefined();
  });

  it('refuses cross-site requests and requests without the header', () => {
    const same = { method: 'POST', headers: { host: 'a.test', 'x-vq-csrf': '1' } };
    expect(crossSiteReason(same)).toBeUndefined();
    expect(
      crossSiteReason({ ...same, headers: { ...same.headers, origin: 'http://a.test' } }),
    ).toBeUndefined();
    expect(crossSiteReason({ ...same, headers: { ...same.headers, origin: 'http://b.test' } })).toMatch(
      /origin/,
    );
    expect(crossSiteReason({ ...same, headers: { ...same.headers, origin: 'null' } })).toMatch(/origin/);
    expect(
      crossSiteReason({ ...same, headers: { ...same.headers, 'sec-fetch-site': 'cross-site' } }),
    ).toMatch(/cross-site/);
    expect(crossSiteReason({ method: 'POST', headers: { host: 'a.test' } })).toMatch(/x-vq-csrf/);
  });

  it('names the operator for the log', () => {
    expect(operatorOf({ method: 'POST', headers: {}, dashboardUser: 'ops' })).toBe('ops');
    expect(operatorOf({ method: 'POST', headers: {}, user: { email: 'a@b.c' } })).toBe('a@b.c');
    expect(operatorOf({ method: 'POST', headers: {}, ip: '10.0.0.1' })).toBe('anonymous@10.0.0.1');
  });
});
