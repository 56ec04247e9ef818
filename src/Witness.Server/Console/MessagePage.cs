using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Witness.Server.Console.Components;

namespace Witness.Server.Console;

/// <summary>A page that explains why there is nothing to show (no permission, an expired viewer link); it never carries log data. Drawn by <see cref="MessageView"/>.</summary>
internal static class MessagePage
{
    public static Task RenderAsync(HttpContext context, ConsoleAssets assets, ConsoleChrome? chrome, int status, string title, string message, string? icon = null) =>
        ConsoleComponents.RenderAsync<MessageView>(context, status, new()
        {
            [nameof(MessageView.Chrome)] = chrome,
            [nameof(MessageView.Status)] = status,
            [nameof(MessageView.Title)] = title,
            [nameof(MessageView.Message)] = message,
            [nameof(MessageView.Symbol)] = icon is null ? null : Icon.Of(icon),
        });
}
