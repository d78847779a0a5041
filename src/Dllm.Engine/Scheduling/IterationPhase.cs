namespace Dllm.Scheduling;

/// <summary>A phase of a scheduler iteration (<see cref="IterationProfile"/>).</summary>
internal enum IterationPhase
{
    /// <summary>Queue moves, ending waiting requests, admission with its prefill forwards.</summary>
    Admit,

    /// <summary>A batched step's device part (<see cref="Runner.ModelRunner.Propose"/>).</summary>
    Step,

    /// <summary>Applying a step's proposals on the host.</summary>
    Resolve,
}
