using Microsoft.SemanticKernel;
using Xunit.Abstractions;

namespace Dllm.AI.Tests.DemoModelOutput;

/// <summary>
/// The built-in demo model's own output through Semantic Kernel: a kernel plugin offered with
/// <c>FunctionChoiceBehavior.Auto()</c>, called by the model's own <c>&lt;tool_call&gt;</c> (Semantic Kernel names
/// the function <c>demo_get_weather</c> and writes its schema its own way; see <c>ToolPresentation</c>).
/// </summary>
[Collection(DemoEngineCollection.Name)]
public sealed class DemoModelKernelTests(DemoEngineFixture fixture, ITestOutputHelper output)
{
    /// <summary>Records the calls the kernel's function invocation makes from the model's parsed tool calls: the
    /// function the call's name resolved to and the call's arguments.</summary>
    private sealed class CallRecorder : IAutoFunctionInvocationFilter
    {
        public List<string> Calls { get; } = [];

        public async Task OnAutoFunctionInvocationAsync(AutoFunctionInvocationContext context, Func<AutoFunctionInvocationContext, Task> next)
        {
            Calls.Add($"{context.Function.PluginName}.{context.Function.Name}({string.Join(", ", context.Arguments!.Select(a => $"{a.Key}={a.Value}"))})");
            await next(context);
        }
    }

    [Fact]
    public async Task Through_Semantic_Kernel_with_FunctionChoiceBehavior_Auto_the_model_calls_the_plugin_function_itself_and_answers_with_its_result()
    {
        var tools = new DemoTools();
        var recorder = new CallRecorder();
        var builder = Kernel.CreateBuilder().AddDllmChatClient(fixture.Engine);
        builder.Plugins.AddFromObject(tools, "demo");
        var kernel = builder.Build();
        kernel.AutoFunctionInvocationFilters.Add(recorder);
        var settings = new PromptExecutionSettings
        {
            FunctionChoiceBehavior = FunctionChoiceBehavior.Auto(),
            ExtensionData = new Dictionary<string, object> { ["temperature"] = 0 },
        };

        var result = await kernel.InvokePromptAsync("What is the weather in Paris?", new KernelArguments(settings));

        output.WriteLine($"calls: {string.Join("; ", recorder.Calls)}; answer: {result}");
        Assert.Equal(["demo.get_weather(city=Paris)"], recorder.Calls);
        Assert.Equal(["get_weather(Paris)"], tools.Calls);
        Assert.Equal("It is sunny in Paris, 21 degrees Celsius.", result.ToString());
    }
}
