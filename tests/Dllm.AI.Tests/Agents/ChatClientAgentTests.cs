using Dllm.AI.Tests.Infrastructure;
using Dllm.Chat;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace Dllm.AI.Tests.Agents;

/// <summary>Microsoft.Agents.AI's ChatClientAgent over the client.</summary>
public sealed class ChatClientAgentTests
{
    [Fact]
    public async Task An_agent_calls_its_tool_and_answers_with_the_result()
    {
        var model = new ScriptedGenerator(prompt => prompt.Contains("<tool_response>", StringComparison.Ordinal)
            ? ["Your order ships on ", prompt.Contains("\n2026-05-04\n", StringComparison.Ordinal) ? "2026-05-04" : "an unknown day", "."]
            : ["<tool_call>\n{\"name\": \"GetShippingDate\", \"arguments\": {\"orderId\": \"A17\"}}\n</tool_call>"]);
        var orders = new List<string>();
        using var client = new DllmChatClient(model);
        AIAgent agent = new ChatClientAgent(client, instructions: "You track orders.", name: "Tracker",
            tools: [AIFunctionFactory.Create((string orderId) => { orders.Add(orderId); return "2026-05-04"; }, "GetShippingDate")]);

        var response = await agent.RunAsync("When does order A17 ship?");

        Assert.Equal(["A17"], orders);
        Assert.Equal("Your order ships on 2026-05-04.", response.Text);
        Assert.StartsWith("<role>SYSTEM</role>You track orders.\n# Tools", model.Prompts[0]);
    }

    [Fact]
    public async Task An_agent_session_carries_the_conversation_into_the_next_turn()
    {
        var model = new ScriptedGenerator(["Hi Ada."], ["Your name is Ada."]);
        using var client = new DllmChatClient(model);
        var agent = client.AsAIAgent(instructions: "Be brief.");
        var session = await agent.CreateSessionAsync();

        await agent.RunAsync("I am Ada.", session);
        var second = await agent.RunAsync("What is my name?", session);

        Assert.Equal("Your name is Ada.", second.Text);
        Assert.Equal(ChatTemplate.Render([ChatTurn.System("Be brief."), ChatTurn.User("I am Ada."), ChatTurn.Assistant("Hi Ada."), ChatTurn.User("What is my name?")]), model.Prompts[1]);
    }
}
