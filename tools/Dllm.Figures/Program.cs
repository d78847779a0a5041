using Dllm.Figures;

// dotnet run --project tools/Dllm.Figures -- loss --log <dllm train log> --output <png> [--title <text>]
if (args.Length < 1 || args[0] != "loss")
    return Fail("usage: loss --log <dllm train log> --output <png> [--title <text>]");
string? log = Value("--log"), output = Value("--output"), title = Value("--title") ?? "dllm train";
if (log is null || output is null)
    return Fail("loss: --log and --output are required");
if (!File.Exists(log))
    return Fail($"loss: --log: no file {log}");
TrainingLog parsed;
try
{
    parsed = TrainingLog.Parse(File.ReadLines(log));
}
catch (FormatException e)
{
    return Fail($"loss: --log {log}: {e.Message}");
}
LossCurveFigure.Write(parsed, title, output);
Console.WriteLine($"{output}: {parsed.TrainLoss.Count} training and {parsed.HeldOutLoss.Count} held-out points");
return 0;

string? Value(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static int Fail(string message)
{
    Console.Error.WriteLine($"Dllm.Figures: {message}");
    return 2;
}
