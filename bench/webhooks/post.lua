-- wrk script: signed 8 KB check_suite deliveries, each with a unique X-GitHub-Delivery id.
local body = io.open(os.getenv("BENCH_BODY"), "rb"):read("*a")
local sig = os.getenv("BENCH_SIG")
local threads = 0
local counter = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  prefix = string.format("bench-%s-%d-%d", os.getenv("BENCH_RUN") or "r", tid or 0, math.random(1, 1000000000))
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/webhooks/github", {
    ["Content-Type"] = "application/json",
    ["X-GitHub-Event"] = "check_suite",
    ["X-GitHub-Delivery"] = prefix .. "-" .. counter,
    ["X-Hub-Signature-256"] = sig,
  }, body)
end
