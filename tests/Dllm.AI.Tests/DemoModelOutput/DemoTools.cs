using System.ComponentModel;
using Microsoft.SemanticKernel;

namespace Dllm.AI.Tests.DemoModelOutput;

/// <summary>
/// The two functions the demo model was trained to call, described as its training data describes them; usable as
/// <c>AIFunctionFactory</c> functions and, named <c>get_weather</c> and <c>get_time</c>, as a kernel plugin's.
/// </summary>
public sealed class DemoTools
{
    public List<string> Calls { get; } = [];

    [KernelFunction("get_weather"), Description("Get the current weather in a city.")]
    public string GetWeather([Description("The city name.")] string city)
    {
        Calls.Add($"get_weather({city})");
        return $"{{\"city\": \"{city}\", \"temperature_c\": 21, \"condition\": \"sunny\"}}";
    }

    [KernelFunction("get_time"), Description("Get the current local time in a city.")]
    public string GetTime([Description("The city name.")] string city)
    {
        Calls.Add($"get_time({city})");
        return $"{{\"city\": \"{city}\", \"time\": \"09:30\"}}";
    }
}
