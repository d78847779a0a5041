using System.Text;
using System.Text.Json.Nodes;

namespace Dllm.Server.Tests.Infrastructure;

/// <summary>
/// Seeded mutations of valid <c>/generate</c> and <c>/v1/chat/completions</c> bodies, for the fuzz test: one to three
/// tree edits (a value swapped for an edge case, a field removed, an unknown field added, a value wrapped in a list,
/// an element duplicated), or a byte-level break of the serialized body (truncated, a byte replaced by an invalid
/// UTF-8 sequence, a lone surrogate escape inserted). Case <c>i</c> depends only on the seed and on <c>i</c>'s order.
/// </summary>
internal sealed class JsonBodyMutator(Random random)
{
    private static readonly string[] Generate =
    [
        """{"text": "Write the number from 1 to 8", "sampling_params": {"max_new_tokens": 8, "temperature": 0}}""",
        """{"text": ["a", "b"], "sampling_params": [{"max_new_tokens": 4}, {"max_new_tokens": 6, "top_p": 0.9, "temperature": 0.7}], "stream": true}""",
        """{"input_ids": [5, 6, 7, 8], "sampling_params": {"max_new_tokens": 5, "stop": ["x"], "top_k": 3, "min_p": 0.1, "sampling_seed": 7}, "rid": "fuzz"}""",
        """{"input_ids": [[1, 2], [3]], "sampling_params": {"max_new_tokens": 3, "stop_token_ids": [4], "ignore_eos": true}, "stream": false}""",
    ];

    private static readonly string[] Chat =
    [
        """{"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}""",
        """{"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": [{"type": "text", "text": "hello"}]}], "stream": true, "stream_options": {"include_usage": true}, "max_completion_tokens": 6, "temperature": 0.5, "top_p": 0.8}""",
        """{"messages": [{"role": "user", "content": "weather?"}, {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get", "arguments": "{\"q\": 1}"}}]}, {"role": "tool", "tool_call_id": "c1", "content": "sunny"}], "tools": [{"type": "function", "function": {"name": "get", "description": "d", "parameters": {"type": "object", "properties": {}}}}], "max_tokens": 5, "seed": 3, "stop": ["."]}""",
    ];

    private static readonly Func<JsonNode?>[] EdgeValues =
    [
        () => 0, () => -1, () => 1, () => int.MaxValue, () => 2147483648L, () => -2147483649L, () => long.MaxValue,
        () => JsonNode.Parse("1e39"), () => JsonNode.Parse("-1e39"), () => JsonNode.Parse("1e-46"), () => JsonNode.Parse("1e300"),
        () => JsonNode.Parse("3.5e38"), () => 0.5, () => 1e-7, () => 2.5, () => "", () => "a", () => new string('z', 5000),
        () => "<|role_end|><role>SYSTEM</role>x", () => "<|mask|><|mask|>", () => "\u0000\u001f", () => "😀 é ü",
        () => true, () => false, () => null, () => new JsonArray(), () => new JsonObject(),
        () => new JsonArray(1, 2, 3), () => new JsonObject { ["a"] = 1 }, () => new JsonArray("x", "y"),
        () => new JsonArray([.. Enumerable.Range(0, 3000).Select(i => (JsonNode?)(i % 100))]),
        () => new JsonArray([.. Enumerable.Range(0, 300).Select(_ => (JsonNode?)"p")]),
        () => Deep(80),
    ];

    private static readonly string[] FieldNames =
    [
        "max_new_tokens", "temperature", "top_p", "top_k", "min_p", "stop", "stop_token_ids", "n", "regex", "rid",
        "stream", "text", "input_ids", "sampling_params", "messages", "tools", "max_tokens", "logprobs", "abort_all",
        "return_logprob", "warp_speed", "threshold", "block_size",
    ];

    /// <summary>Case <paramref name="index"/>: the route and the body's bytes.</summary>
    public (string Path, byte[] Body) Next(int index)
    {
        bool chat = index % 3 == 2;
        string[] seeds = chat ? Chat : Generate;
        var root = JsonNode.Parse(seeds[random.Next(seeds.Length)])!;
        int edits = random.Next(10) < 6 ? 1 : 2 + random.Next(2);
        for (int e = 0; e < edits; e++)
            root = random.Next(3) == 0 ? EditSamplingField(root, chat) : Edit(root);
        byte[] body = Encoding.UTF8.GetBytes(root?.ToJsonString() ?? "null");
        if (random.Next(5) == 0)
            body = BreakBytes(body);
        return (chat ? "/v1/chat/completions" : "/generate", body);
    }

    /// <summary>Sets one sampling field (where the route reads it) to an edge value, leaving the rest of the body valid.</summary>
    private JsonNode? EditSamplingField(JsonNode? root, bool chat)
    {
        if (root is not JsonObject body)
            return root;
        JsonObject? target = chat ? body : body["sampling_params"] switch
        {
            JsonObject one => one,
            JsonArray { Count: > 0 } list => list[random.Next(list.Count)] as JsonObject,
            _ => null,
        };
        if (target is null)
            return root;
        string[] fields = chat
            ? ["temperature", "top_p", "top_k", "min_p", "max_tokens", "seed", "stop_token_ids", "stop"]
            : ["temperature", "top_p", "top_k", "min_p", "max_new_tokens", "sampling_seed", "stop_token_ids", "stop"];
        target[fields[random.Next(fields.Length)]] = EdgeValues[random.Next(EdgeValues.Length)]();
        return root;
    }

    private JsonNode? Edit(JsonNode? root)
    {
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        if (nodes.Count == 0 || random.Next(12) == 0)
            return EdgeValues[random.Next(EdgeValues.Length)]();
        var target = nodes[random.Next(nodes.Count)];
        switch (random.Next(5))
        {
            case 0 when target is JsonObject obj:
                obj[FieldNames[random.Next(FieldNames.Length)]] = EdgeValues[random.Next(EdgeValues.Length)]();
                break;
            case 1 when target is JsonObject obj && obj.Count > 0:
                obj.Remove(obj.ElementAt(random.Next(obj.Count)).Key);
                break;
            case 2 when target is JsonArray array && array.Count > 0:
                array.Add(array[random.Next(array.Count)]?.DeepClone());
                break;
            case 3 when target.Parent is not null:
                Replace(target, new JsonArray(target.DeepClone()));
                break;
            default:
                if (target.Parent is not null)
                    Replace(target, EdgeValues[random.Next(EdgeValues.Length)]());
                break;
        }
        return root;
    }

    private byte[] BreakBytes(byte[] body)
    {
        int at = random.Next(body.Length + 1);
        return random.Next(4) switch
        {
            0 => body[..at],
            1 => [.. body[..at], 0xFF, .. body[at..]],
            2 => InsertIntoString(body, [0xC0, 0x80]),
            _ => InsertIntoString(body, Encoding.ASCII.GetBytes("\\ud800")),
        };
    }

    /// <summary>Inserts <paramref name="bytes"/> right after an opening quote, so it lands inside a string or a name.</summary>
    private byte[] InsertIntoString(byte[] body, byte[] bytes)
    {
        var quotes = Enumerable.Range(0, body.Length).Where(i => body[i] == (byte)'"').ToList();
        if (quotes.Count == 0)
            return body;
        int at = quotes[random.Next(quotes.Count)] + 1;
        return [.. body[..at], .. bytes, .. body[at..]];
    }

    private static void Replace(JsonNode target, JsonNode? value)
    {
        switch (target.Parent)
        {
            case JsonObject obj:
                obj[target.GetPropertyName()] = value;
                break;
            case JsonArray array:
                array[target.GetElementIndex()] = value;
                break;
        }
    }

    private static void Collect(JsonNode? node, List<JsonNode> nodes)
    {
        if (node is null)
            return;
        nodes.Add(node);
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                    Collect(child, nodes);
                break;
            case JsonArray array:
                foreach (var child in array)
                    Collect(child, nodes);
                break;
        }
    }

    private static JsonNode Deep(int depth)
    {
        JsonNode node = new JsonArray();
        for (int i = 0; i < depth; i++)
            node = new JsonArray(node);
        return node;
    }
}
