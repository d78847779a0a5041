namespace Dllm.Chat;

/// <summary>Who speaks in a chat turn.</summary>
public enum ChatRole
{
    /// <summary>Instructions for the assistant (rendered as <c>&lt;role&gt;SYSTEM&lt;/role&gt;</c>).</summary>
    System,

    /// <summary>The user (rendered as <c>&lt;role&gt;HUMAN&lt;/role&gt;</c>).</summary>
    User,

    /// <summary>The model (rendered as <c>&lt;role&gt;ASSISTANT&lt;/role&gt;</c>).</summary>
    Assistant,

    /// <summary>The result of a tool call (rendered inside <c>&lt;role&gt;OBSERVATION&lt;/role&gt;</c>).</summary>
    Tool,
}
