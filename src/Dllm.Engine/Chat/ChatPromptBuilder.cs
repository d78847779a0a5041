using System.Text;
using Dllm.Tokenization;

namespace Dllm.Chat;

/// <summary>Collects a <see cref="ChatPrompt"/>: adjacent pieces of the same kind are joined into one segment.</summary>
internal sealed class ChatPromptBuilder
{
    private readonly List<PromptSegment> _segments = [];
    private readonly StringBuilder _pending = new();
    private bool _pendingIsContent;

    /// <summary>Appends template text (its control-token strings become control tokens).</summary>
    public ChatPromptBuilder Template(string text) => Append(text, isContent: false);

    /// <summary>Appends a template character.</summary>
    public ChatPromptBuilder Template(char text) => Append(text.ToString(), isContent: false);

    /// <summary>Appends content (always encoded as text).</summary>
    public ChatPromptBuilder Content(string text) => Append(text, isContent: true);

    /// <summary>The prompt collected so far.</summary>
    public ChatPrompt Build()
    {
        Flush();
        return new ChatPrompt([.. _segments]);
    }

    private ChatPromptBuilder Append(string text, bool isContent)
    {
        if (text.Length == 0)
        {
            return this;
        }
        if (_pending.Length > 0 && _pendingIsContent != isContent)
        {
            Flush();
        }
        _pendingIsContent = isContent;
        _pending.Append(text);
        return this;
    }

    private void Flush()
    {
        if (_pending.Length > 0)
        {
            _segments.Add(new PromptSegment(_pending.ToString(), _pendingIsContent));
            _pending.Clear();
        }
    }
}
