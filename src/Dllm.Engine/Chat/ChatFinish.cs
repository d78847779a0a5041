namespace Dllm.Chat;

/// <summary>Why an assistant turn ended, as both front doors report it.</summary>
public enum ChatFinish
{
    /// <summary>The model ended its turn (a stop id, EOS or a stop string).</summary>
    Stop,

    /// <summary>The token limit was reached.</summary>
    Length,

    /// <summary>The model ended its turn after calling at least one tool it could be understood to call.</summary>
    ToolCalls,

    /// <summary>The request was aborted (<c>/abort_request</c>, shutdown, its deadline, an engine shutdown).</summary>
    Abort,
}
