namespace Dllm.Training.Data;

/// <summary>A generator of one kind of example.</summary>
public interface IDemoTask
{
    /// <summary>The task's name, e.g. <c>count-up</c>.</summary>
    string Name { get; }

    /// <summary>Draws one example of <paramref name="split"/> from <paramref name="random"/>.</summary>
    DemoExample Generate(Random random, DemoSplit split);
}
