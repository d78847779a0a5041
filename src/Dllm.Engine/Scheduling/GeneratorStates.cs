using TorchSharp;

namespace Dllm.Scheduling;

/// <summary>
/// The states of a batch's seeded generators, saved before a batched step so that, when the step fails and is
/// retried one request at a time, each request draws the same numbers it would have drawn had the batch not failed.
/// </summary>
internal sealed class GeneratorStates : IDisposable
{
    private readonly List<(torch.Generator Generator, torch.Tensor State)> _saved;

    private GeneratorStates(List<(torch.Generator, torch.Tensor)> saved) => _saved = saved;

    /// <summary>The current states of the seeded requests' generators (unseeded requests use the global RNG).</summary>
    public static GeneratorStates Save(IEnumerable<EngineRequest> requests) =>
        new([.. requests.Where(r => r.Generator is not null).Select(r => (r.Generator!, r.Generator!.get_state()))]);

    /// <summary>Sets every generator back to its saved state.</summary>
    public void Restore()
    {
        foreach (var (generator, state) in _saved)
            generator.set_state(state);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (_, state) in _saved)
            state.Dispose();
    }
}
