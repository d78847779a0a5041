using Dllm.Samples.OfflineEngine;

return await OfflineEngineSample.RunAsync(args, Console.Out);
