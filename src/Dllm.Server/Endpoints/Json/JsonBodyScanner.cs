using System.Text;
using System.Text.Json;
using Dllm.Server.Endpoints.Pipeline;

namespace Dllm.Server.Endpoints.Json;

/// <summary>
/// One pass over a request body before it is parsed, for every route alike: every string and property name must be
/// valid text (no invalid UTF-8, no lone surrogate such as <c>"\ud800"</c>), and no list may hold more numbers than
/// <c>maxNumbers</c> (token-id lists longer than the context length fail here, before any of them is stored).
/// Errors are 400s naming the field by its path (<c>messages[0].content</c>, <c>sampling_params.stop[1]</c>).
/// </summary>
internal static class JsonBodyScanner
{
    /// <summary>Checks <paramref name="json"/>; malformed JSON is a 400 too.</summary>
    public static void Scan(ReadOnlySpan<byte> json, int maxNumbers, string maxNumbersReason)
    {
        var reader = new Utf8JsonReader(json);
        var path = new List<Frame>();
        try
        {
            while (reader.Read())
            {
                var token = reader.TokenType;
                if (token is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    path.RemoveAt(path.Count - 1);
                    continue;
                }
                if (token == JsonTokenType.PropertyName)
                {
                    path[^1] = path[^1] with { Name = ReadName(ref reader, path) };
                    continue;
                }
                if (path.Count > 0 && path[^1].IsArray)
                {
                    var list = path[^1];
                    list.Index++;
                    if (token == JsonTokenType.Number && ++list.Numbers > maxNumbers)
                        throw TooManyNumbers(PathOf(path, path.Count - 1), maxNumbers, maxNumbersReason);
                    path[^1] = list;
                }
                if (token == JsonTokenType.String && !IsValidText(ref reader))
                    throw NotText(PathOf(path, path.Count));
                if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    path.Add(new Frame(token == JsonTokenType.StartArray, -1, 0, null));
            }
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"malformed JSON: {e.Message}");
        }
    }

    private static string ReadName(ref Utf8JsonReader reader, List<Frame> path)
    {
        try
        {
            if (!reader.ValueIsEscaped && !System.Text.Unicode.Utf8.IsValid(reader.ValueSpan))
                throw new InvalidOperationException();
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            string parent = PathOf(path, path.Count - 1);
            var error = NotText(parent.Length == 0 ? "a property name" : $"a property name in {parent}");
            throw ApiException.BadRequest(error.Message, parent.Length == 0 ? null : parent);
        }
    }

    private static bool IsValidText(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
            return System.Text.Unicode.Utf8.IsValid(reader.ValueSpan);
        try
        {
            reader.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static ApiException NotText(string path) => path.Length == 0
        ? ApiException.BadRequest("the request body is not valid text: it holds invalid UTF-8 or a lone surrogate.")
        : ApiException.BadRequest($"{path} is not valid text: it holds invalid UTF-8 or a lone surrogate.", path);

    private static ApiException TooManyNumbers(string path, int max, string reason) =>
        ApiException.BadRequest($"{(path.Length == 0 ? "the request body" : path)} has more than {max} numbers: {reason}.", path.Length == 0 ? null : path);

    /// <summary>The path of the value the frames up to <paramref name="count"/> lead to.</summary>
    private static string PathOf(List<Frame> path, int count)
    {
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            var frame = path[i];
            if (frame.IsArray)
                text.Append('[').Append(frame.Index).Append(']');
            else if (frame.Name is not null)
                text.Append(text.Length == 0 ? "" : ".").Append(frame.Name);
        }
        return text.ToString();
    }

    /// <summary>An open object (its current property name) or list (its current index and how many numbers it holds).</summary>
    private record struct Frame(bool IsArray, int Index, int Numbers, string? Name);
}
