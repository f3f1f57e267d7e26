--[[ fragment batch-statuses: scripts that move many messages in one call take a fixed number of
  ARGV values per message and answer one status per message, in order: 1 moved, 0 skipped. ]]
local function forEachItem(first, width, move)
  local statuses = {}
  for i = first, #ARGV, width do
    statuses[#statuses + 1] = move(i) and 1 or 0
  end
  return statuses
end
