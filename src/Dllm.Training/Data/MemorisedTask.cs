namespace Dllm.Training.Data;

/// <summary>
/// A handful of fixed answers written by the project, learned by heart (they are in both splits: held-out scores
/// for them measure memorisation, not generalisation). The seed's <c>" Write a brief introduction of the great
/// wall "</c> prompt is among them, with the spaces its curl request has.
/// </summary>
public sealed class MemorisedTask : IDemoTask
{
    /// <summary>The prompts and their answers.</summary>
    public static IReadOnlyList<(string Prompt, string Answer)> Answers { get; } =
    [
        (" Write a brief introduction of the great wall ",
            "The Great Wall of China is a series of walls and fortifications built across northern China over many centuries. " +
            "Its best known parts were built during the Ming dynasty. It stretches for thousands of kilometres over mountains and deserts, " +
            "and today it is one of the most visited landmarks in the world."),
        ("Who are you?", "I am a small demo model trained by Dllm.AI on generated examples. I can count, copy and reverse text, do small sums, sort numbers and call tools."),
        ("Hello!", "Hello! I am the Dllm.AI demo model. Ask me to count to a number, for example."),
        ("What is Dllm.AI?", "Dllm.AI is a .NET serving stack for diffusion language models such as LLaDA2."),
        ("What is a diffusion language model?", "A diffusion language model writes a block of masked tokens and fills them in over a few steps, several tokens at a time."),
    ];

    /// <inheritdoc />
    public string Name => "memorised";

    /// <inheritdoc />
    public DemoExample Generate(Random random, DemoSplit split)
    {
        var (prompt, answer) = Answers[random.Next(Answers.Count)];
        return SingleTurn.Of(Name, prompt, answer);
    }
}
