namespace Dllm.Training.Data;

/// <summary>Which part of the generated data an example belongs to.</summary>
public enum DemoSplit
{
    /// <summary>Examples the model is trained on.</summary>
    Train,

    /// <summary>Examples kept out of training, for evaluation (<see cref="HeldOutRule"/>).</summary>
    HeldOut,
}
