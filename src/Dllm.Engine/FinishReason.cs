namespace Dllm;

/// <summary>Why a generation ended.</summary>
public enum FinishKind
{
    /// <summary>A stop token id (or EOS) or a stop string was produced.</summary>
    Stop,

    /// <summary><c>max_new_tokens</c> was reached.</summary>
    Length,

    /// <summary>The request was cancelled, or failed.</summary>
    Abort,
}

/// <summary>Why a generation ended, with what matched (SGLang's <c>finish_reason</c>).</summary>
/// <param name="Kind">stop, length or abort.</param>
/// <param name="MatchedTokenId">For a stop on a token id: the id.</param>
/// <param name="MatchedString">For a stop on a string: the string.</param>
/// <param name="Length">For length: the number of tokens generated.</param>
/// <param name="Message">For abort: why.</param>
public sealed record FinishReason(FinishKind Kind, int? MatchedTokenId = null, string? MatchedString = null, int? Length = null, string? Message = null)
{
    /// <summary>The lower-case name (<c>stop</c>, <c>length</c>, <c>abort</c>).</summary>
    public string Type => Kind.ToString().ToLowerInvariant();

    /// <summary>A stop on a token id.</summary>
    public static FinishReason StopToken(int id) => new(FinishKind.Stop, MatchedTokenId: id);

    /// <summary>A stop on a string.</summary>
    public static FinishReason StopString(string value) => new(FinishKind.Stop, MatchedString: value);

    /// <summary><c>max_new_tokens</c> reached.</summary>
    public static FinishReason MaxLength(int length) => new(FinishKind.Length, Length: length);

    /// <summary>Cancelled or failed.</summary>
    public static FinishReason Aborted(string message) => new(FinishKind.Abort, Message: message);
}
