using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace Dllm.Server.Endpoints.Json;

/// <summary>How the server writes JSON: snake_case names, nulls left out unless a member says otherwise, non-ASCII text unescaped.</summary>
internal static class DllmJson
{
    /// <summary>The serializer options of every response.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary><paramref name="value"/> as JSON text.</summary>
    public static string Serialize<T>(T value) => value is JsonNode node ? node.ToJsonString(Options) : JsonSerializer.Serialize(value, Options);

    /// <summary>Writes <paramref name="value"/> as an <c>application/json</c> response.</summary>
    public static async Task WriteAsync<T>(HttpContext context, T value)
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(Serialize(value), context.RequestAborted).ConfigureAwait(false);
    }
}
