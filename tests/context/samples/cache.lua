-- A tiny LRU cache.
local M = {}

-- The default capacity.
M.CAPACITY = 100

-- Creates a cache.
function M.new(capacity)
  local self = { items = {}, capacity = capacity or M.CAPACITY } -- BODY_MARKER
  return setmetatable(self, { __index = M })
end

-- Reads a key.
function M:get(key)
  return self.items[key] -- BODY_MARKER
end

local function helper(x)
  return x * 2 -- BODY_MARKER
end

return M
