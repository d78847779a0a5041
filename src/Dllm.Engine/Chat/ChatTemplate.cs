using System.Text;
using Dllm.Tokenization;

namespace Dllm.Chat;

/// <summary>
/// Renders a conversation as a LLaDA2 prompt, as the model's own chat template does (tool wording from the
/// published LLaDA2.x <c>chat_template</c>, which follows the Qwen3 tool format):
/// <list type="bullet">
/// <item>System turn, always first: <c>&lt;role&gt;SYSTEM&lt;/role&gt;</c> + (a leading system message's text + "\n")
/// + (the tools block when there are tools) + <c>detailed thinking off</c> + <c>&lt;|role_end|&gt;</c>. With no system
/// message and no tools that is exactly <c>&lt;role&gt;SYSTEM&lt;/role&gt;detailed thinking off&lt;|role_end|&gt;</c>.</item>
/// <item>Tools block: <c># Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided
/// with function signatures within &lt;tools&gt;&lt;/tools&gt; XML tags:\n&lt;tools&gt;</c>, then per tool "\n" + the
/// OpenAI-style definition <c>{"type": "function", "function": {"name": …, "description": …, "parameters": …}}</c>
/// as Python's <c>json.dumps</c> writes it, then <c>\n&lt;/tools&gt;\n\nFor each function call, return a json object with
/// function name and arguments within &lt;tool_call&gt;&lt;/tool_call&gt; XML tags:\n&lt;tool_call&gt;\n{"name":
/// &lt;function-name&gt;, "arguments": &lt;args-json-object&gt;}\n&lt;/tool_call&gt;\n</c>.</item>
/// <item>User: <c>&lt;role&gt;HUMAN&lt;/role&gt;</c> + text + <c>&lt;|role_end|&gt;</c> (text verbatim, nothing trimmed).
/// A later system message: <c>&lt;role&gt;SYSTEM&lt;/role&gt;</c> + text + <c>&lt;|role_end|&gt;</c>.</item>
/// <item>Assistant: <c>&lt;role&gt;ASSISTANT&lt;/role&gt;</c> + text + its tool calls + <c>&lt;|role_end|&gt;</c>; each call is
/// <c>&lt;tool_call&gt;\n{"name": "NAME", "arguments": ARGS}\n&lt;/tool_call&gt;</c>, preceded by "\n" unless it is the
/// first call of a turn with no text. ARGS is the arguments JSON rewritten in <c>json.dumps</c> style (copied as
/// given when it is not valid JSON).</item>
/// <item>Tool results: consecutive tool turns share one observation turn, as in the Qwen3 template:
/// <c>&lt;role&gt;OBSERVATION&lt;/role&gt;</c> + per result <c>\n&lt;tool_response&gt;\n</c> + result +
/// <c>\n&lt;/tool_response&gt;</c> + <c>&lt;|role_end|&gt;</c> after the last one.</item>
/// <item>Generation prompt: <c>&lt;role&gt;ASSISTANT&lt;/role&gt;</c>.</item>
/// </list>
/// <see cref="RenderPrompt"/> keeps the conversation's content (message text, tool definitions, tool-call names and
/// arguments, tool results) apart from the template's text, so that a control-token string in content is encoded as
/// text (<see cref="ChatPrompt.Encode"/>); <see cref="Render"/> gives the same prompt as one string.
/// </summary>
public static class ChatTemplate
{
    /// <summary>The line that switches the model's long reasoning off; always in the system turn.</summary>
    public const string ThinkingOff = "detailed thinking off";

    /// <summary>What the prompt ends with when a generation prompt is asked for.</summary>
    public const string GenerationPrompt = "<role>ASSISTANT</role>";

    private const string ToolsPreamble =
        "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
        "You are provided with function signatures within <tools></tools> XML tags:\n<tools>";

    private const string ToolsPostamble =
        "\n</tools>\n\nFor each function call, return a json object with function name and arguments within " +
        "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>\n";

    /// <summary>Renders <paramref name="messages"/> (and <paramref name="tools"/>) as one prompt string, for display.</summary>
    /// <remarks>
    /// Encoding this string with <see cref="LladaTokenizer.Encode(string)"/> would turn control-token strings in the
    /// content into control tokens; encode <see cref="RenderPrompt"/>'s result instead.
    /// </remarks>
    /// <param name="messages">The conversation; a system message, if any, comes first.</param>
    /// <param name="tools">Tools the model may call; none when null or empty.</param>
    /// <param name="addGenerationPrompt">End with <see cref="GenerationPrompt"/> so the model answers next.</param>
    /// <exception cref="ArgumentException">A tool's parameters schema is not valid JSON.</exception>
    public static string Render(IReadOnlyList<ChatTurn> messages, IReadOnlyList<ToolDefinition>? tools = null, bool addGenerationPrompt = true) =>
        RenderPrompt(messages, tools, addGenerationPrompt).Text;

    /// <summary>Renders <paramref name="messages"/> (and <paramref name="tools"/>) as a prompt of template and content segments.</summary>
    /// <param name="messages">The conversation; a system message, if any, comes first.</param>
    /// <param name="tools">Tools the model may call; none when null or empty.</param>
    /// <param name="addGenerationPrompt">End with <see cref="GenerationPrompt"/> so the model answers next.</param>
    /// <exception cref="ArgumentException">A tool's parameters schema is not valid JSON.</exception>
    public static ChatPrompt RenderPrompt(IReadOnlyList<ChatTurn> messages, IReadOnlyList<ToolDefinition>? tools = null, bool addGenerationPrompt = true)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var prompt = new ChatPromptBuilder();
        bool leadingSystem = messages.Count > 0 && messages[0].Role == ChatRole.System;
        AppendSystemTurn(prompt, leadingSystem ? messages[0].Content : null, tools ?? []);
        for (int i = leadingSystem ? 1 : 0; i < messages.Count; i++)
        {
            ChatTurn turn = messages[i];
            switch (turn.Role)
            {
                case ChatRole.System:
                    AppendTurn(prompt, "SYSTEM", turn.Content);
                    break;
                case ChatRole.User:
                    AppendTurn(prompt, "HUMAN", turn.Content);
                    break;
                case ChatRole.Assistant:
                    AppendAssistantTurn(prompt, turn);
                    break;
                case ChatRole.Tool:
                    bool opens = i == 0 || messages[i - 1].Role != ChatRole.Tool;
                    bool closes = i == messages.Count - 1 || messages[i + 1].Role != ChatRole.Tool;
                    AppendToolResult(prompt, turn.Content, opens, closes);
                    break;
                default:
                    throw new ArgumentException($"Unknown chat role {turn.Role}.", nameof(messages));
            }
        }
        if (addGenerationPrompt)
        {
            prompt.Template(GenerationPrompt);
        }
        return prompt.Build();
    }

    private static void AppendSystemTurn(ChatPromptBuilder prompt, string? systemText, IReadOnlyList<ToolDefinition> tools)
    {
        prompt.Template(RoleHeader("SYSTEM"));
        if (systemText is not null)
        {
            prompt.Content(systemText).Template('\n');
        }
        if (tools.Count > 0)
        {
            prompt.Template(ToolsPreamble);
            foreach (ToolDefinition tool in tools)
            {
                prompt.Template('\n').Content(ToolDefinitionJson(tool));
            }
            prompt.Template(ToolsPostamble);
        }
        prompt.Template(ThinkingOff).Template(LladaTokens.RoleEnd);
    }

    /// <summary>The definition as the template writes it (all of it content: the caller chose every part).</summary>
    private static string ToolDefinitionJson(ToolDefinition tool)
    {
        var json = new StringBuilder("{\"type\": \"function\", \"function\": {\"name\": ");
        PythonJson.WriteString(tool.Name, json);
        if (tool.Description is not null)
        {
            json.Append(", \"description\": ");
            PythonJson.WriteString(tool.Description, json);
        }
        if (tool.ParametersJsonSchema is not null)
        {
            if (!PythonJson.TryReformat(tool.ParametersJsonSchema, out string parameters))
            {
                throw new ArgumentException($"The parameters schema of tool '{tool.Name}' is not valid JSON.", nameof(tool));
            }
            json.Append(", \"parameters\": ").Append(parameters);
        }
        return json.Append("}}").ToString();
    }

    private static void AppendAssistantTurn(ChatPromptBuilder prompt, ChatTurn turn)
    {
        prompt.Template(RoleHeader("ASSISTANT")).Content(turn.Content);
        for (int i = 0; i < turn.ToolCalls.Count; i++)
        {
            if (i > 0 || turn.Content.Length > 0)
            {
                prompt.Template('\n');
            }
            AppendToolCall(prompt, turn.ToolCalls[i]);
        }
        prompt.Template(LladaTokens.RoleEnd);
    }

    /// <summary>Writes <c>&lt;tool_call&gt;\n{"name": "NAME", "arguments": ARGS}\n&lt;/tool_call&gt;</c>; NAME and ARGS are content.</summary>
    private static void AppendToolCall(ChatPromptBuilder prompt, ToolCallRequest call)
    {
        PythonJson.TryReformat(call.ArgumentsJson, out string arguments);
        var name = new StringBuilder();
        PythonJson.WriteString(call.Name, name);
        prompt.Template(LladaTokens.ToolCallOpen).Template("\n{\"name\": ").Content(name.ToString())
              .Template(", \"arguments\": ").Content(arguments).Template("}\n").Template(LladaTokens.ToolCallClose);
    }

    private static void AppendToolResult(ChatPromptBuilder prompt, string result, bool opensTurn, bool closesTurn)
    {
        if (opensTurn)
        {
            prompt.Template(RoleHeader("OBSERVATION"));
        }
        prompt.Template('\n').Template(LladaTokens.ToolResponseOpen).Template('\n')
              .Content(result)
              .Template('\n').Template(LladaTokens.ToolResponseClose);
        if (closesTurn)
        {
            prompt.Template(LladaTokens.RoleEnd);
        }
    }

    private static void AppendTurn(ChatPromptBuilder prompt, string role, string content) =>
        prompt.Template(RoleHeader(role)).Content(content).Template(LladaTokens.RoleEnd);

    private static string RoleHeader(string role) => $"{LladaTokens.RoleOpen}{role}{LladaTokens.RoleClose}";
}
