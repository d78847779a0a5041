using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Dllm.AI.Requests;

/// <summary>
/// Reads the diffusion knobs out of <see cref="ChatOptions.AdditionalProperties"/>. Numbers arrive in whatever form
/// the caller had (C# numbers, strings from configuration, <see cref="JsonElement"/>s from Semantic Kernel's
/// deserialized execution settings); a key that is absent or null reads as null, a value of the wrong kind is an
/// <see cref="ArgumentException"/> naming the key.
/// </summary>
internal static class AdditionalPropertyReader
{
    /// <summary>The value of <paramref name="key"/> as a number.</summary>
    public static double? GetNumber(AdditionalPropertiesDictionary? properties, string key)
    {
        object? value = Find(properties, key);
        return value is null ? null : ToNumber(value) ?? throw Invalid(key, value, "a number");
    }

    /// <summary>The value of <paramref name="key"/> as a whole number.</summary>
    public static int? GetInteger(AdditionalPropertiesDictionary? properties, string key)
    {
        object? value = Find(properties, key);
        if (value is null)
            return null;
        double? number = ToNumber(value);
        return number is double whole && whole == Math.Floor(whole) && whole is >= int.MinValue and <= int.MaxValue
            ? (int)whole
            : throw Invalid(key, value, "a whole number");
    }

    /// <summary>The value of <paramref name="key"/> as text.</summary>
    public static string? GetString(AdditionalPropertiesDictionary? properties, string key)
    {
        object? value = Find(properties, key);
        return value switch
        {
            null => null,
            string text => text,
            JsonElement { ValueKind: JsonValueKind.String } element => element.GetString(),
            _ => throw Invalid(key, value, "a string"),
        };
    }

    /// <summary>The value of <paramref name="key"/> as a boolean (<c>true</c>/<c>false</c>, also as text).</summary>
    public static bool? GetBoolean(AdditionalPropertiesDictionary? properties, string key)
    {
        object? value = Find(properties, key);
        return value switch
        {
            null => null,
            bool flag => flag,
            string text when bool.TryParse(text, out bool flag) => flag,
            JsonElement { ValueKind: JsonValueKind.True } => true,
            JsonElement { ValueKind: JsonValueKind.False } => false,
            JsonElement { ValueKind: JsonValueKind.String } element when bool.TryParse(element.GetString(), out bool flag) => flag,
            _ => throw Invalid(key, value, "true or false"),
        };
    }

    private static object? Find(AdditionalPropertiesDictionary? properties, string key) =>
        properties is not null && properties.TryGetValue(key, out object? value) && value is not JsonElement { ValueKind: JsonValueKind.Null }
            ? value
            : null;

    private static double? ToNumber(object value) => value switch
    {
        int number => number,
        long number => number,
        double number => number,
        float number => number,
        decimal number => (double)number,
        short number => number,
        byte number => number,
        string text => Parse(text),
        JsonElement { ValueKind: JsonValueKind.Number } element => element.GetDouble(),
        JsonElement { ValueKind: JsonValueKind.String } element => Parse(element.GetString()!),
        _ => null,
    };

    private static double? Parse(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) ? number : null;

    private static ArgumentException Invalid(string key, object value, string expected) =>
        new($"ChatOptions.AdditionalProperties[\"{key}\"] must be {expected}; got '{value}' ({value.GetType().Name}).", "options");
}
