-- wrk script: POST the template with a fresh nachrichtenUUID per request, so every request
-- takes the full accept path (a repeated UUID would be answered as a duplicate).
local template_path = os.getenv("TEMPLATE")
local token = os.getenv("TOKEN")
local file = assert(io.open(template_path, "rb"))
local template = file:read("*a")
file:close()

local counter = 0
local prefix

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  prefix = string.format("%08x", math.random(0, 0x7fffffff))
end

function request()
  counter = counter + 1
  local uuid = string.format("%s-%04x-4%03x-8%03x-%012x", prefix, counter % 0x10000,
    math.random(0, 0xfff), math.random(0, 0xfff), counter)
  local body = template:gsub("@UUID@", uuid)
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/xml",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end


function done(summary, latency, requests)
  io.write(string.format("requests %d, errors %d (non-2xx/3xx %d)\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, summary.errors.status))
end
