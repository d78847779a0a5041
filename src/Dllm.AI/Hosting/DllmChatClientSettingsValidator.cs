using Microsoft.Extensions.Options;

namespace Dllm.AI.Hosting;

/// <summary>
/// Checks the <see cref="DllmChatClientSettings"/> of one registration (by options name) at start, one message per bad
/// field, each naming the field: the client's own, and the engine's by <see cref="DllmEngineOptionsValidator"/> when that
/// registration registered the shared engine, or is keyed and names a model (which may be an engine of its own).
/// </summary>
/// <param name="registrationName">The options name of the registration.</param>
/// <param name="checkEngine">Whether the registration registered the shared engine (so its engine fields are used).</param>
/// <param name="keyed">A keyed registration: one that sets a model path may get an engine of its own, so its engine fields are checked too.</param>
internal sealed class DllmChatClientSettingsValidator(string registrationName, bool checkEngine, bool keyed = false) : IValidateOptions<DllmChatClientSettings>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, DllmChatClientSettings options)
    {
        if (!string.Equals(name ?? Options.DefaultName, registrationName, StringComparison.Ordinal))
            return ValidateOptionsResult.Skip;
        var errors = new List<string>();
        if (options.DefaultMaxOutputTokens is < 1)
            errors.Add($"DefaultMaxOutputTokens must be at least 1 (got {options.DefaultMaxOutputTokens}).");
        if (checkEngine || (keyed && !string.IsNullOrEmpty(options.ModelPath)))
            errors.AddRange(DllmEngineOptionsValidator.Validate(options));
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
