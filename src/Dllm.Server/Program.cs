using Dllm.Server.Cli;

return await DllmCommandLine.Build().Parse(args).InvokeAsync();
