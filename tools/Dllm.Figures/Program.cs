using System.Globalization;
using Dllm.Figures;
using Dllm.Figures.Serving;
using Dllm.Figures.Steps;
using Dllm.Figures.Training;

// dotnet run --project tools/Dllm.Figures -c Release -- <command> …
//   loss    --log <dllm train log> --output <png> [--title <text>]
//   steps   --output <png> [--prefix 1024] [--batches 1,4,16] [--reference LABEL=BATCH:MS,…]… [--title <text>] <step bench JSON>…
//   serving --output <png> --run LABEL=<e2e bench JSON>[,<JSON>…]… [--model NAME] [--target CONCURRENCY:TIMES] [--title <text>]
const string Usage = "usage: loss --log <dllm train log> --output <png> [--title <text>]\n"
    + "       steps --output <png> [--prefix 1024] [--batches 1,4,16] [--reference LABEL=BATCH:MS,…]… [--title <text>] <step bench JSON>…\n"
    + "       serving --output <png> --run LABEL=<e2e bench JSON>[,<JSON>…]… [--model NAME] [--target CONCURRENCY:TIMES] [--title <text>]";
var arguments = new FigureArguments(args.Skip(1).ToArray());
try
{
    return args.FirstOrDefault() switch
    {
        "loss" => Loss(arguments),
        "steps" => Steps(arguments),
        "serving" => Serving(arguments),
        _ => Fail(Usage),
    };
}
catch (FormatException e)
{
    return Fail($"{args[0]}: {e.Message}");
}
catch (ArgumentException e)
{
    return Fail($"{args[0]}: {e.Message}");
}

static int Loss(FigureArguments arguments)
{
    string log = arguments.Required("--log"), output = arguments.Required("--output"), title = arguments.Value("--title") ?? "dllm train";
    TrainingLog parsed = TrainingLog.Parse(File.ReadLines(arguments.ExistingFile(log, "--log")));
    LossCurveFigure.Write(parsed, title, output);
    Console.WriteLine($"{output}: {parsed.TrainLoss.Count} training and {parsed.HeldOutLoss.Count} held-out points");
    return 0;
}

static int Steps(FigureArguments arguments)
{
    string output = arguments.Required("--output");
    int prefix = arguments.Integer("--prefix", 1024);
    int[] batches = arguments.Integers("--batches", [1, 4, 16]);
    var references = arguments.Values("--reference").Select(StepReference.Parse).ToArray();
    var runs = arguments.Files().Select(f => StepRun.Read(arguments.ExistingFile(f, "a step bench JSON"), prefix)).ToArray();
    if (runs.Length == 0)
        throw new ArgumentException("no step bench JSON given");
    string title = arguments.Value("--title") ?? $"Step time at a {prefix:N0}-token prefix, run by run";
    StepHistoryFigure.Write(runs, batches, references, title, output);
    Console.WriteLine($"{output}: {runs.Length} runs from {runs.Min(r => r.Date):yyyy-MM-dd HH:mm} to {runs.Max(r => r.Date):yyyy-MM-dd HH:mm} UTC");
    return 0;
}

static int Serving(FigureArguments arguments)
{
    string output = arguments.Required("--output");
    var runs = arguments.Values("--run").Select(r =>
    {
        int equals = r.LastIndexOf('=');
        if (equals <= 0 || equals == r.Length - 1)
            throw new FormatException($"--run \"{r}\": expected LABEL=<e2e bench JSON>");
        return ServingRun.Read(r[..equals], [.. r[(equals + 1)..].Split(',').Select(f => arguments.ExistingFile(f, "--run"))], arguments.Value("--model"));
    }).ToArray();
    if (runs.Length == 0)
        throw new ArgumentException("no --run LABEL=<e2e bench JSON> given");
    (int, double)? target = arguments.Value("--target") is { } t ? ParseTarget(t) : null;
    ServingScalingFigure.Write(runs, target, arguments.Value("--title") ?? "Throughput against concurrent requests", output);
    Console.WriteLine($"{output}: {runs.Length} runs, {runs.Sum(r => r.TokensPerSecond.Values.Sum(m => m.Count))} rows");
    return 0;
}

static (int, double) ParseTarget(string text)
{
    string[] parts = text.Split(':');
    return parts.Length == 2
        && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int concurrency) && concurrency >= 1
        && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double times) && times > 0
        ? (concurrency, times)
        : throw new FormatException($"--target \"{text}\": expected CONCURRENCY:TIMES, such as 16:10");
}

static int Fail(string message)
{
    Console.Error.WriteLine($"Dllm.Figures: {message}");
    return 2;
}
