using Dllm.Samples.SemanticKernel;

return await SemanticKernelSample.RunAsync(args, Console.Out);
