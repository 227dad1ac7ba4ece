fn main() {
    println!("tcgen");
}
