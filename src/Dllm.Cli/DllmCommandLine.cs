using System.CommandLine;

namespace Dllm.Cli;

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
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        return root;
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>. A command line that does not parse (an unknown option, a value of the
    /// wrong type) exits 2 with one line on standard error naming the problem; otherwise the command's exit code.
    /// Signals are left to the commands: <c>dllm serve</c>'s host drains running requests on SIGTERM/Ctrl+C, which
    /// System.CommandLine's own handling would cut short after two seconds.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Build().Parse(args);
        if (parse.Errors.Count == 0)
            return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
        var command = parse.CommandResult.Command;
        string name = command.Parents.Any() ? $"dllm {command.Name}" : "dllm";
        string problems = string.Join(" ", parse.Errors.Select(e => e.Message.Trim()));
        await Console.Error.WriteLineAsync($"{name}: {problems} ('{name} --help' lists the options.)").ConfigureAwait(false);
        return 2;
    }
}
