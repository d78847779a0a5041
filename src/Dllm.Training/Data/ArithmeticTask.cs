namespace Dllm.Training.Data;

/// <summary>Addition and subtraction of numbers below 100: <c>What is 37 + 48?</c> → <c>37 + 48 = 85</c>.</summary>
public sealed class ArithmeticTask : IDemoTask
{
    /// <inheritdoc />
    public string Name => "arithmetic";

    /// <inheritdoc />
    public DemoExample Generate(Random random, DemoSplit split) => HeldOutRule.Draw(random, split, r =>
    {
        int a = r.Next(100), b = r.Next(100);
        bool add = r.Next(2) == 0;
        string expression = add ? $"{a} + {b}" : $"{a} - {b}";
        string user = $"What is {expression}?";
        return (user, SingleTurn.Of(Name, user, $"{expression} = {(add ? a + b : a - b)}"));
    });
}
