--[[ fragment server-clock: "now" from the server's clock (TIME), in epoch ms, so that hosts with
  skewed clocks agree on what is due and when something failed. ]]
local function nowMs()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
