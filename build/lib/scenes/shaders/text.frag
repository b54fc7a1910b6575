#version 150
// Glyphs are alpha-only textures; cards carry their own colour.

uniform sampler2D p3d_Texture0;
uniform vec4 p3d_ColorScale;
uniform float u_alpha_only;     // 1 for glyph textures, 0 for colour images

in vec2 v_uv;
in vec4 v_color;

out vec4 o_color;

void main() {
    vec4 tex = texture(p3d_Texture0, v_uv);
    vec4 color = v_color * p3d_ColorScale;
    if (u_alpha_only > 0.5) {
        o_color = vec4(color.rgb, color.a * tex.a);
    } else {
        o_color = color * tex;
    }
    if (o_color.a < 0.02) {
        discard;
    }
}
