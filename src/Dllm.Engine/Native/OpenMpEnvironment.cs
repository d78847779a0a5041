namespace Dllm.Native;

/// <summary>
/// Sets libtorch's OpenMP wait policy before libtorch loads. GNU OpenMP (the <c>libgomp</c> libtorch links) reads
/// <c>OMP_WAIT_POLICY</c> once, in its load-time constructor, from the <em>native</em> environment; .NET's
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> changes only the runtime's own copy on Unix, so
/// the variable is set with libc's <c>setenv</c>, and only while libgomp is not loaded yet (that is, before
/// <see cref="TorchBackend.Initialize"/> loads libtorch). A value the user set wins.
/// </summary>
internal static class OpenMpEnvironment
{
    /// <summary>OpenMP's wait-policy variable.</summary>
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY";

    /// <summary>
    /// Sets <see cref="WaitPolicyVariable"/> to <paramref name="policy"/> unless it is already set (or
    /// <paramref name="policy"/> is null), and says what OpenMP will use, e.g. <c>PASSIVE (set by Dllm)</c>.
    /// </summary>
    public static string ApplyWaitPolicy(string? policy)
    {
        if (NativeEnvironment.Get(WaitPolicyVariable) is string existing)
            return $"{existing} (from {WaitPolicyVariable})";
        if (policy is null)
            return "OpenMP's default (spin, then sleep)";
        if (NativeEnvironment.TrySet(WaitPolicyVariable, policy, overwrite: false) is string failure)
            return $"OpenMP's default ({failure})";
        return $"{policy} (set by Dllm)";
    }
}
