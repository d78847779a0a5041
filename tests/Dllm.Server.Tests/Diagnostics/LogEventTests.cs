using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Dllm.Server.Tests.Diagnostics;

/// <summary>
/// Every <c>[LoggerMessage]</c> event of the shipped assemblies: a non-zero id, unique across the product, inside its
/// component's documented range, with a unique name, and listed in docs/operations.md's event table.
/// </summary>
public class LogEventTests
{
    /// <summary>The assemblies and their event-id ranges (docs/operations.md).</summary>
    private static readonly (Assembly Assembly, int First, int Last)[] Components =
    [
        (typeof(DllmEngine).Assembly, 1000, 1999),
        (typeof(Dllm.Server.Hosting.DllmServerOptions).Assembly, 2000, 2999),
        (typeof(Dllm.Cli.DllmCommandLine).Assembly, 3000, 3999),
        (typeof(Dllm.AI.DllmChatClient).Assembly, 4000, 4999),
        (typeof(Dllm.Training.TrainingOptions).Assembly, 5000, 5999),
    ];

    private static List<(Assembly Assembly, MethodInfo Method, LoggerMessageAttribute Event)> Events() =>
        [.. from component in Components
            from type in component.Assembly.GetTypes()
            from method in type.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
            let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
            where attribute is not null
            select (component.Assembly, method, attribute)];

    [Fact]
    public void Every_event_id_is_non_zero_unique_and_in_its_components_range()
    {
        var events = Events();

        Assert.True(events.Count >= 40, $"only {events.Count} events found");
        Assert.All(events, e => Assert.NotEqual(0, e.Event.EventId));
        var duplicates = events.GroupBy(e => e.Event.EventId).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Method.Name))}");
        Assert.Empty(duplicates);
        var names = events.GroupBy(e => e.Event.EventName ?? e.Method.Name).Where(g => g.Count() > 1).Select(g => g.Key);
        Assert.Empty(names);
        foreach (var (assembly, method, attribute) in events)
        {
            var (_, first, last) = Components.Single(c => c.Assembly == assembly);
            Assert.True(attribute.EventId >= first && attribute.EventId <= last,
                $"{method.DeclaringType!.Name}.{method.Name} has id {attribute.EventId}, outside {assembly.GetName().Name}'s {first}-{last}");
        }
    }

    [Fact]
    public void Docs_list_every_event_with_its_id_name_and_level()
    {
        string[] table = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "docs", "operations.md"));

        foreach (var (_, method, attribute) in Events())
        {
            string name = attribute.EventName ?? method.Name;
            string level = attribute.Level == LogLevel.None ? "varies" : attribute.Level.ToString();
            Assert.True(table.Any(line => line.StartsWith($"| {attribute.EventId} | `{name}` | {level} |", StringComparison.Ordinal)),
                $"docs/operations.md has no row '| {attribute.EventId} | `{name}` | {level} |'");
        }
    }
}
