using Dllm.Chat;
using Dllm.Tokenization;

namespace Dllm.Training.Data;

/// <summary>
/// The tool task, in two kinds of example over the same described functions (<c>get_weather(city)</c>,
/// <c>get_time(city)</c>): the call, where the system turn's tools block describes the functions and the answer is
/// the call exactly as the chat template writes one (<c>&lt;tool_call&gt;\n{"name": "get_weather", "arguments":
/// {"city": "Paris"}}\n&lt;/tool_call&gt;</c>); and the answer, where the conversation goes on with that call and an
/// OBSERVATION turn holding the result, and the answer is a sentence that uses the result. The tools block lists both
/// functions (in either order) or only the one the question needs, as one host presents them
/// (<see cref="ToolPresentation.Draw"/>: hand-written OpenAI-style schemas, <c>AIFunctionFactory</c>'s, or Semantic
/// Kernel's with <c>plugin_function</c> names), so the call follows the names the host offers.
/// </summary>
/// <param name="withObservation">Generate the answer after the observation instead of the call.</param>
public sealed class ToolTask(bool withObservation) : IDemoTask
{
    /// <summary>The functions described to the model: name and description (one parameter, <see cref="Parameter"/>).</summary>
    public static IReadOnlyList<(string Name, string Description)> Functions { get; } =
    [
        ("get_weather", "Get the current weather in a city."),
        ("get_time", "Get the current local time in a city."),
    ];

    /// <summary>The functions' one parameter and its description.</summary>
    public static (string Name, string Description) Parameter { get; } = ("city", "The city name.");

    /// <summary>The definitions of <paramref name="functions"/> (names of <see cref="Functions"/>, in this order) as
    /// <paramref name="presentation"/> writes them.</summary>
    public static IReadOnlyList<ToolDefinition> Describe(ToolPresentation presentation, IEnumerable<string> functions) =>
        [.. functions.Select(name => presentation.Describe(name, Functions.Single(f => f.Name == name).Description, Parameter.Name, Parameter.Description))];

    private static readonly string[] Cities =
    [
        "Paris", "London", "Tokyo", "Berlin", "Madrid", "Rome", "Beijing", "Cairo", "Lima", "Oslo", "Seoul", "Delhi",
        "Sydney", "Toronto", "Nairobi", "Lisbon", "Vienna", "Dublin", "Prague", "Warsaw", "Athens", "Bangkok", "Hanoi",
        "Moscow", "Istanbul", "Chicago", "Boston", "Denver", "Austin", "Miami", "Zurich", "Geneva", "Munich", "Milan",
    ];

    private static readonly string[] Conditions = ["sunny", "cloudy", "rainy", "windy", "snowy", "foggy"];

    /// <inheritdoc />
    public string Name => withObservation ? "tool-answer" : "tool-call";

    /// <summary>The assistant text of a call, as the chat template renders an assistant tool call.</summary>
    public static string CallText(string function, string city) =>
        $"{LladaTokens.ToolCallOpen}\n{{\"name\": \"{function}\", \"arguments\": {{\"city\": \"{city}\"}}}}\n{LladaTokens.ToolCallClose}";

    /// <inheritdoc />
    public DemoExample Generate(Random random, DemoSplit split) => HeldOutRule.Draw(random, split, r =>
    {
        string city = Cities[r.Next(Cities.Length)];
        bool weather = r.Next(2) == 0;
        var presentation = ToolPresentation.Draw(r);
        string needed = weather ? "get_weather" : "get_time";
        string function = presentation.Prefix + needed;
        // Both tools in either order, or only the one that answers the question.
        var tools = Describe(presentation, r.Next(3) switch
        {
            0 => [needed],
            1 => Functions.Select(f => f.Name).Reverse(),
            _ => Functions.Select(f => f.Name),
        });
        string user = weather ? $"What is the weather in {city}?" : $"What time is it in {city}?";
        if (!withObservation)
            return (user, new DemoExample(Name, [ChatTurn.User(user)], tools, CallText(function, city)));
        string result, answer;
        if (weather)
        {
            int temperature = r.Next(-10, 36);
            string condition = Conditions[r.Next(Conditions.Length)];
            result = $"{{\"city\": \"{city}\", \"temperature_c\": {temperature}, \"condition\": \"{condition}\"}}";
            answer = $"It is {condition} in {city}, {temperature} degrees Celsius.";
        }
        else
        {
            string time = $"{r.Next(24):00}:{r.Next(60):00}";
            result = $"{{\"city\": \"{city}\", \"time\": \"{time}\"}}";
            answer = $"It is {time} in {city}.";
        }
        var call = new ToolCallRequest(function, $"{{\"city\": \"{city}\"}}");
        IReadOnlyList<ChatTurn> messages = [ChatTurn.User(user), ChatTurn.Assistant("", call), ChatTurn.Tool(result)];
        return (user + result, new DemoExample(Name, messages, tools, answer));
    });
}
