using Dllm.Samples.Agent;

return await AgentSample.RunAsync(args, Console.Out);
