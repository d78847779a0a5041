namespace Dllm.Training.Evaluation;

/// <summary>An answer as a log line shows it: JSON-quoted (control tokens and newlines visible), the middle of a long
/// one elided.</summary>
internal static class MissText
{
    private const int Keep = 80;

    /// <summary>The quoted text, at most about 2 × 80 characters.</summary>
    public static string Shorten(string text) =>
        System.Text.Json.JsonSerializer.Serialize(text.Length <= 2 * Keep ? text : text[..Keep] + "…" + text[^Keep..]);
}
