using Dllm.Server.Cli;

return await DllmCommandLine.RunAsync(args);
