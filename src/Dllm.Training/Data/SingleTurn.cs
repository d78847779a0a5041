using Dllm.Chat;

namespace Dllm.Training.Data;

/// <summary>Builds the examples that are one user turn and an answer.</summary>
internal static class SingleTurn
{
    public static DemoExample Of(string task, string user, string answer) => new(task, [ChatTurn.User(user)], [], answer);
}
