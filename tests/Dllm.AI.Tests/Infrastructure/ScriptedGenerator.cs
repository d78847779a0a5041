using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Dllm.Tokenization;

namespace Dllm.AI.Tests.Infrastructure;

/// <summary>
/// A generator whose output is scripted at the token level, for what a random model cannot produce (tool calls,
/// answers that use a tool's result). For each request the script gives the output as text chunks; each chunk is
/// encoded with the real tokenizer and delivered as one resolved block, and the last block ends with
/// <c>&lt;|role_end|&gt;</c> (a stop on that id), as the real model ends its turns. Records every request it prepares. The client
/// sends prompts as token ids; the script and <see cref="Prompts"/> see them decoded.
/// </summary>
public sealed class ScriptedGenerator : IDllmGenerator
{
    private readonly Func<string, IReadOnlyList<string>> _script;

    /// <summary>A generator answering each prompt with <paramref name="script"/>(prompt).</summary>
    public ScriptedGenerator(Func<string, IReadOnlyList<string>> script) => _script = script;

    /// <summary>A generator giving <paramref name="replies"/> in order, one per request (the last one repeats).</summary>
    public ScriptedGenerator(params string[][] replies)
    {
        int next = 0;
        _script = _ => replies[Math.Min(Interlocked.Increment(ref next) - 1, replies.Length - 1)];
    }

    public string ModelName => "scripted-llada";

    public LladaTokenizer Tokenizer => TestTokenizer.Instance;

    public ConcurrentQueue<GenerateRequest> Requests { get; } = new();

    /// <summary>The prompt texts received, in order (prompt ids decoded).</summary>
    public IReadOnlyList<string> Prompts => [.. Requests.Select(PromptText)];

    public PreparedRequest Prepare(GenerateRequest request)
    {
        Requests.Enqueue(request);
        request.Sampling.Validate();
        int[] ids = request.InputIds is { } given ? [.. given] : Tokenizer.Encode(request.Text!);
        return new PreparedRequest(request, request.RequestId ?? "scripted", ids, request.Sampling);
    }

    public bool Abort(string requestId, string reason) => false;

    public async IAsyncEnumerable<GenerationUpdate> GenerateStreamingAsync(PreparedRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var blocks = _script(Tokenizer.Decode(request.PromptIds)).Select(chunk => Tokenizer.Encode(chunk)).ToList();
        blocks[^1] = [.. blocks[^1], Tokenizer.RoleEndTokenId];
        int promptTokens = request.PromptTokens;
        var detokenizer = Tokenizer.CreateStreamingDetokenizer(skipSpecialTokens: true);
        var output = new List<int>();
        string text = "";
        for (int i = 0; i < blocks.Count; i++)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            bool last = i == blocks.Count - 1;
            output.AddRange(blocks[i]);
            string delta = detokenizer.Append(blocks[i]) + (last ? detokenizer.Flush() : "");
            text += delta;
            yield return new GenerationUpdate
            {
                RequestId = request.RequestId,
                TextDelta = delta,
                NewIds = blocks[i],
                Text = text,
                OutputIds = [.. output],
                PromptTokens = promptTokens,
                DenoisingSteps = i + 1,
                FinishReason = last ? FinishReason.StopToken(Tokenizer.RoleEndTokenId) : null,
                Latency = last ? TimeSpan.Zero : null,
            };
        }
    }

    private string PromptText(GenerateRequest request) => request.Text ?? Tokenizer.Decode(request.InputIds!);
}
