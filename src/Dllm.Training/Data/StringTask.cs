namespace Dllm.Training.Data;

/// <summary>Copying (<c>Repeat exactly: TEXT</c>) or reversing (<c>Reverse the text: TEXT</c>) a short phrase of random
/// lowercase words; the answer is the text itself or its characters in reverse order.</summary>
/// <param name="reverse">Reverse instead of copy.</param>
public sealed class StringTask(bool reverse) : IDemoTask
{
    /// <inheritdoc />
    public string Name => reverse ? "reverse" : "copy";

    /// <inheritdoc />
    public DemoExample Generate(Random random, DemoSplit split) => HeldOutRule.Draw(random, split, r =>
    {
        string text = RandomText.Phrase(r, reverse ? 2 : 4);
        string user = reverse ? $"Reverse the text: {text}" : $"Repeat exactly: {text}";
        string answer = reverse ? new string([.. text.Reverse()]) : text;
        return (user, SingleTurn.Of(Name, user, answer));
    });
}
