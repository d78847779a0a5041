namespace Dllm.Cli;

/// <summary>A <c>dllm serve</c> command line that cannot work (bad model path, algorithm, config, address); exit code 2.</summary>
internal sealed class ServeSetupException(string message) : Exception(message);
