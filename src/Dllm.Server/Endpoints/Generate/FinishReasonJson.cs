using System.Text.Json.Nodes;

namespace Dllm.Server.Endpoints.Generate;

/// <summary>SGLang's <c>finish_reason</c> object: <c>{"type":"stop","matched":id or string}</c>, <c>{"type":"length","length":N}</c>, <c>{"type":"abort","message":"..."}</c>.</summary>
internal static class FinishReasonJson
{
    /// <summary>The object for <paramref name="reason"/>; null while the request runs.</summary>
    public static JsonObject? From(FinishReason? reason) => reason switch
    {
        null => null,
        { Kind: FinishKind.Stop, MatchedString: string matched } => new JsonObject { ["type"] = reason.Type, ["matched"] = matched },
        { Kind: FinishKind.Stop } => new JsonObject { ["type"] = reason.Type, ["matched"] = reason.MatchedTokenId },
        { Kind: FinishKind.Length } => new JsonObject { ["type"] = reason.Type, ["length"] = reason.Length },
        _ => new JsonObject { ["type"] = reason.Type, ["message"] = reason.Message },
    };
}
