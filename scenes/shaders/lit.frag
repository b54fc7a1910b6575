#version 150
// Lit surfaces with x-ray transparency, a highlight glow and a movable section plane.
// Lighting: a key light that follows the viewer (anatomy reads best lit from the eye),
// a fill light, and a sky/ground hemisphere ambient.

uniform mat4 p3d_ViewMatrix;
uniform vec4 p3d_ColorScale;

uniform vec4 u_base_color;      // multiplies the vertex colour
uniform float u_alpha;          // 1 opaque, below 1 x-ray
uniform vec4 u_highlight;       // rgb glow colour, a = strength (0 off)
uniform vec4 u_clip_plane;      // world plane n.p + d; kept where >= 0
uniform float u_clip_enabled;   // 0 off, 1 on
uniform vec4 u_cap_color;       // colour of faces seen through the cut
uniform float u_cap_from_color; // 1: caps take the vertex colour (merged meshes), 0: u_cap_color

in vec3 v_view_pos;
in vec3 v_view_normal;
in vec3 v_world_pos;
in vec4 v_color;

out vec4 o_color;

void main() {
    if (u_clip_enabled > 0.5 && dot(u_clip_plane.xyz, v_world_pos) + u_clip_plane.w < 0.0) {
        discard;
    }
    vec4 base = v_color * u_base_color * p3d_ColorScale;
    if (!gl_FrontFacing) {
        // Inside of a cut solid: a flat cap colour makes the section readable.
        vec3 cap = mix(u_cap_color.rgb, v_color.rgb * 0.8, u_cap_from_color);
        o_color = vec4(cap, base.a * u_alpha);
        return;
    }
    vec3 n = normalize(v_view_normal);
    vec3 to_eye = normalize(-v_view_pos);
    vec3 key_dir = normalize(vec3(0.35, 0.45, 1.0));
    vec3 fill_dir = normalize(vec3(-0.6, -0.2, 0.4));
    vec3 up = normalize((p3d_ViewMatrix * vec4(0.0, 0.0, 1.0, 0.0)).xyz);

    float key = max(dot(n, key_dir), 0.0);
    float fill = max(dot(n, fill_dir), 0.0);
    float hemi = 0.5 + 0.5 * dot(n, up);
    vec3 ambient = mix(vec3(0.22, 0.20, 0.19), vec3(0.42, 0.45, 0.50), hemi);
    vec3 half_vec = normalize(key_dir + to_eye);
    float spec = pow(max(dot(n, half_vec), 0.0), 32.0) * 0.25;

    vec3 lit = base.rgb * (ambient + 0.75 * key + 0.20 * fill) + vec3(spec);

    float rim = 1.0 - max(dot(n, to_eye), 0.0);
    lit += u_highlight.rgb * u_highlight.a * (0.35 + 0.65 * rim * rim);

    float alpha = base.a * u_alpha;
    if (u_alpha < 1.0) {
        // X-ray: silhouettes stay visible while faces turned to the viewer fade.
        alpha = clamp(u_alpha * (0.35 + 0.9 * rim * rim), 0.0, 1.0);
    }
    o_color = vec4(lit, alpha);
}
