using System.Net;
using System.Text;
using Dllm.Server.Tests.Infrastructure;

namespace Dllm.Server.Tests.Endpoints;

/// <summary>Text that is not valid UTF-8, or holds a lone surrogate, anywhere in any POST body: a 400 naming the field, nothing runs.</summary>
[Collection(ServerCollection.Name)]
public class InvalidTextTests(ServerFixture fixture)
{
    private const string Marker = "@@";

    /// <summary>The three bad texts: a raw 0xFF byte, an overlong NUL (C0 80), an escaped lone high surrogate.</summary>
    public static readonly IReadOnlyDictionary<string, byte[]> BadTexts = new Dictionary<string, byte[]>
    {
        ["xff"] = [0xFF],
        ["c080"] = [0xC0, 0x80],
        ["escaped-ud800"] = Encoding.ASCII.GetBytes("\\ud800"),
    };

    /// <summary>Route, body with <see cref="Marker"/> where the bad text goes, the field named (null: none).</summary>
    private static readonly (string Route, string Body, string? Param)[] Cases =
    [
        ("/generate", """{"text": "a@@b", "sampling_params": {"max_new_tokens": 1}}""", "text"),
        ("/generate", """{"text": ["ok", "a@@"]}""", "text[1]"),
        ("/generate", """{"text": "a", "sampling_params": {"stop": ["x", "@@"]}}""", "sampling_params.stop[1]"),
        ("/generate", """{"text": "a", "sampling_params": {"@@": 1}}""", "sampling_params"),
        ("/generate", """{"text": "a", "rid": "@@"}""", "rid"),
        ("/v1/chat/completions", """{"messages": [{"role": "user", "content": "@@"}]}""", "messages[0].content"),
        ("/v1/chat/completions", """{"messages": [{"role": "user", "content": [{"type": "text", "text": "x@@"}]}]}""", "messages[0].content[0].text"),
        ("/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "stop": "@@"}""", "stop"),
        ("/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "f@@"}}]}""", "tools[0].function.name"),
        ("/v1/completions", """{"prompt": "@@"}""", "prompt"),
        ("/v1/completions", """{"prompt": ["a", "@@"], "user": "u"}""", "prompt[1]"),
        ("/abort_request", """{"rid": "@@"}""", "rid"),
        ("/abort_request", """{"@@": true}""", null),
    ];

    public static TheoryData<string, string, string?, string> Requests()
    {
        var data = new TheoryData<string, string, string?, string>();
        foreach (var (route, body, param) in Cases)
        {
            foreach (string text in BadTexts.Keys)
                data.Add(route, body, param, text);
        }
        return data;
    }

    private static byte[] WithBadText(string body, byte[] bad)
    {
        int at = body.IndexOf(Marker, StringComparison.Ordinal);
        return [.. Encoding.UTF8.GetBytes(body[..at]), .. bad, .. Encoding.UTF8.GetBytes(body[(at + Marker.Length)..])];
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task Invalid_text_is_a_400_naming_the_field(string route, string body, string? param, string text)
    {
        var server = fixture.Server;
        long steps = server.Engine.DenoisingSteps;

        var response = await server.Client.SendRawAsync(HttpMethod.Post, route, WithBadText(body, BadTexts[text]));

        var error = await response.ErrorAsync(HttpStatusCode.BadRequest);
        Assert.Equal(param, error.GetProperty("param").GetString());
        string message = error.GetProperty("message").GetString()!;
        Assert.Contains("not valid text", message);
        Assert.DoesNotContain("   at ", message);
        Assert.Equal(steps, server.Engine.DenoisingSteps);
        Assert.Equal(0, server.Tracker.Count);
    }

    [Fact]
    public async Task A_surrogate_pair_and_other_escapes_are_valid_text()
    {
        var response = await fixture.Server.Client.PostAsync("/generate", """{"text": "smile \ud83d\ude00 \u00e9\n", "rid": "pair", "sampling_params": {"max_new_tokens": 1}}""");

        var json = await response.JsonAsync();
        Assert.Equal("pair", json.GetProperty("meta_info").GetProperty("id").GetString());
    }
}
