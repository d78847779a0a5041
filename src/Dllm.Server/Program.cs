using System.CommandLine;
using Dllm.Server.Cli;

// Signals are left to the commands: `dllm serve`'s host drains running requests on SIGTERM/Ctrl+C, which
// System.CommandLine's own handling would cut short after two seconds.
return await DllmCommandLine.Build().Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
