using Dllm.Samples.ChatClient;

return await ChatClientSample.RunAsync(args, Console.Out);
