using System.CommandLine;

namespace Dllm.Server.Cli;

/// <summary>The <c>dllm</c> command line: one sub-command per job.</summary>
public static class DllmCommandLine
{
    /// <summary>Builds the root command with every sub-command.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("dllm: serve and run LLaDA2 diffusion language models on TorchSharp.");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(DoctorCommand.Create());
        root.Subcommands.Add(SynthCommand.Create());
        root.Subcommands.Add(PlanCommand.Create());
        return root;
    }
}
