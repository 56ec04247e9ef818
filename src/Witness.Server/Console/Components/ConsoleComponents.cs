using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Witness.Server.Console;

/// <summary>Writes a console page drawn by a Razor component (server-rendered, no interactivity) as the response.</summary>
internal static class ConsoleComponents
{
    public static Task RenderAsync<TComponent>(HttpContext context, int status, Dictionary<string, object?> parameters)
        where TComponent : IComponent =>
        new RazorComponentResult<TComponent>(parameters) { StatusCode = status, ContentType = "text/html; charset=utf-8" }.ExecuteAsync(context);
}
