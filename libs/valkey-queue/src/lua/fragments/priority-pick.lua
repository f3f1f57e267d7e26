--[[ fragment priority-pick: how a read spreads `count` messages over the priorities of a queue.
  Candidates 1..n are in priority order (highest first), each with a weight (priority + 1);
  take(i, k) takes up to k messages from candidate i and returns how many it took.
  strict: each candidate in order is asked for what is still missing, so a lower priority is read
    only when every higher one is empty.
  weighted: each missing message goes to a candidate drawn with probability weight / total weight;
    a candidate that gives less than it was asked for is empty: it leaves, and what is still missing
    is drawn again among the others. So every non-empty priority gets a share proportional to its
    weight. The draws use a Park-Miller generator seeded by the caller (scripts get no randomness). ]]
local function takeByPriority(n, weights, count, weighted, seed, take)
  local missing = count
  if not weighted then
    for i = 1, n do
      if missing <= 0 then break end
      missing = missing - take(i, missing)
    end
    return
  end
  local state = seed % 2147483646 + 1
  local function draw()
    state = (state * 16807) % 2147483647
    return state / 2147483647
  end
  local open = {}
  for i = 1, n do open[i] = true end
  while missing > 0 do
    local total, last = 0, nil
    for i = 1, n do
      if open[i] then
        total = total + weights[i]
        last = i
      end
    end
    if not last then return end
    local quota = {}
    for _ = 1, missing do
      local r, chosen = draw() * total, last
      for i = 1, n do
        if open[i] then
          r = r - weights[i]
          if r < 0 then
            chosen = i
            break
          end
        end
      end
      quota[chosen] = (quota[chosen] or 0) + 1
    end
    for i = 1, n do
      if quota[i] then
        local got = take(i, quota[i])
        missing = missing - got
        if got < quota[i] then open[i] = false end
      end
    end
  end
end
