using System.ComponentModel;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dllm.AI.Tests.Infrastructure;
using Dllm.Chat;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Dllm.AI.Tests.SemanticKernel;

/// <summary>Semantic Kernel over the client: plugins chosen by parsed tool calls, prompt functions, execution settings.</summary>
public sealed partial class KernelTests
{
    /// <summary>A plugin whose function the scripted model calls.</summary>
    public sealed class WeatherPlugin
    {
        public List<string> Cities { get; } = [];

        [KernelFunction, Description("Gets the temperature in a city, in degrees Celsius.")]
        public int GetTemperature([Description("The city")] string city)
        {
            Cities.Add(city);
            return city.Length * 7;
        }
    }

    /// <summary>
    /// A scripted model that, offered a temperature tool, calls it for Paris (by the name the prompt's tools block
    /// gives it), and once it sees the tool's response answers with it.
    /// </summary>
    private static ScriptedGenerator WeatherModel() => new(prompt =>
    {
        if (prompt.Contains("<tool_response>", StringComparison.Ordinal))
        {
            int start = prompt.LastIndexOf("<tool_response>\n", StringComparison.Ordinal) + "<tool_response>\n".Length;
            return ["It is ", prompt[start..prompt.IndexOf("\n</tool_response>", start, StringComparison.Ordinal)], " degrees in Paris."];
        }
        string name = ToolName().Match(prompt).Groups[1].Value;
        return [$"<tool_call>\n{{\"name\": \"{name}\", \"arguments\": {{\"city\": \"Paris\"}}}}\n</tool_call>"];
    });

    [GeneratedRegex("\"name\": \"([^\"]*GetTemperature)\"")]
    private static partial Regex ToolName();

    [Fact]
    public async Task A_kernel_function_chosen_by_a_parsed_tool_call_runs_with_FunctionChoiceBehavior_Auto_and_its_result_is_in_the_answer()
    {
        var model = WeatherModel();
        var weather = new WeatherPlugin();
        var builder = Kernel.CreateBuilder().AddDllmChatClient(model);
        builder.Plugins.AddFromObject(weather, "Weather");
        var kernel = builder.Build();

        var result = await kernel.InvokePromptAsync("What is the temperature in Paris?",
            new KernelArguments(new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() }));

        Assert.Equal(["Paris"], weather.Cities);
        Assert.Equal("It is 35 degrees in Paris.", result.ToString());
        Assert.Equal(2, model.Prompts.Count);
        Assert.Contains("Gets the temperature in a city, in degrees Celsius.", model.Prompts[0]);
        Assert.Contains("<role>OBSERVATION</role>\n<tool_response>\n35\n</tool_response><|role_end|>", model.Prompts[1]);
    }

    [Fact]
    public async Task Execution_settings_and_their_diffusion_keys_reach_the_engine()
    {
        var model = new ScriptedGenerator(["fine"]);
        var kernel = Kernel.CreateBuilder().AddDllmChatClient(model).Build();
        var settings = new PromptExecutionSettings
        {
            ExtensionData = new Dictionary<string, object>
            {
                ["max_tokens"] = 7, ["temperature"] = 0.25, ["threshold"] = 0.7, ["block_size"] = 16, ["algorithm"] = "JointThreshold",
            },
        };

        var result = await kernel.InvokePromptAsync("Hello", new KernelArguments(settings));

        var request = Assert.Single(model.Requests);
        Assert.Equal("fine", result.ToString());
        Assert.Equal(7, request.Sampling.MaxNewTokens);
        Assert.Equal(0.25, request.Sampling.Temperature, 6);
        Assert.Equal(0.7, request.Threshold);
        Assert.Equal(16, request.BlockSize);
        Assert.Equal("JointThreshold", request.Algorithm);
    }

    [Fact]
    public async Task A_prompt_function_with_settings_read_from_JSON_renders_its_template_and_passes_the_keys()
    {
        var model = new ScriptedGenerator(["A wall."]);
        var kernel = Kernel.CreateBuilder().AddDllmChatClient(model).Build();
        var settings = JsonSerializer.Deserialize<PromptExecutionSettings>("""{"max_tokens": 12, "threshold": "0.8", "block_size": 32}""")!;
        var summarize = kernel.CreateFunctionFromPrompt("Summarize in one line: {{$input}}", settings);

        var result = await kernel.InvokeAsync(summarize, new KernelArguments { ["input"] = "The great wall is long." });

        var request = Assert.Single(model.Requests);
        Assert.Equal("A wall.", result.ToString());
        Assert.Equal(ChatTemplate.Render([ChatTurn.User("Summarize in one line: The great wall is long.")]), model.Prompts[0]);
        Assert.Equal(12, request.Sampling.MaxNewTokens);
        Assert.Equal(0.8, request.Threshold);
        Assert.Equal(32, request.BlockSize);
    }

    [Fact]
    public async Task The_client_works_as_an_IChatCompletionService_with_a_chat_history()
    {
        var model = new ScriptedGenerator(["Bonjour"]);
        using var client = new DllmChatClient(model);
        var service = client.AsChatCompletionService();
        var history = new ChatHistory("Answer in French.");
        history.AddUserMessage("Hello");

        var reply = await service.GetChatMessageContentAsync(history, new PromptExecutionSettings { ExtensionData = new Dictionary<string, object> { ["block_size"] = "64" } });

        Assert.Equal("Bonjour", reply.Content);
        Assert.Equal(ChatTemplate.Render([ChatTurn.System("Answer in French."), ChatTurn.User("Hello")]), model.Prompts[0]);
        Assert.Equal(64, model.Requests.Single().BlockSize);
    }

    [Fact]
    public void The_settings_overload_registers_the_shared_engine_client_under_the_service_id()
    {
        var builder = Kernel.CreateBuilder().AddDllmChatClient(s => s.ModelPath = Dllm.Testing.TinyModels.Random, serviceId: "dllm");
        var kernel = builder.Build();

        var client = kernel.Services.GetRequiredKeyedService<IChatClient>("dllm");

        Assert.Equal("KernelFunctionInvokingChatClient", client.GetService<FunctionInvokingChatClient>()!.GetType().Name);
        Assert.Equal("tiny-random-v2", client.GetService<ChatClientMetadata>()!.DefaultModelId);
    }
}
