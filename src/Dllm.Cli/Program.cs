using Dllm.Cli;

return await DllmCommandLine.RunAsync(args);
